"""jupyter_kernel_test's protocol conformance suite, with every sample filled in, against the
cellfit kernel. Run by test/kernel/conformance.test.ts with the kernelspec installed under a
temporary JUPYTER_PATH; the working directory is the repository (so `cellfit/kernel` resolves)."""
import unittest

import jupyter_kernel_test


class CellfitKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "cellfit"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    # jupyter_kernel_test compares the set of matches exactly.
    completion_samples = [
        {"text": "Number.isInt", "matches": {"isInteger"}},
        {"text": "const completionTarget = 1;\ncompletionTar", "matches": {"completionTarget"}},
        {"text": "%lsmag", "matches": {"%lsmagic"}},
    ]

    complete_code_samples = ["1 + 1", "const x = 1;", "function f() {\n  return 1;\n}", "%time 1 + 1", "%%time\n1 + 1\n"]
    incomplete_code_samples = ["function f() {", "const a = [1,", "if (true) {\n  console.log(1);", "%%time\n1 + 1"]
    invalid_code_samples = ["const = 5;", "1 +* 2", "}"]

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[{ a: 1 }, { a: 2 }]", "mime": "text/html"},
        {"code": "({ [Symbol.for('Jupyter.display')]: () => ({ 'text/markdown': '**bold**' }) })", "mime": "text/markdown", "result": "**bold**"},
    ]

    code_display_data = [
        {"code": "import { display } from 'cellfit/kernel';\ndisplay([{ a: 1 }, { a: 2 }]);", "mime": "text/html"},
        {"code": "import * as tslab from 'tslab';\ntslab.display.html('<b>hi</b>');", "mime": "text/html"},
    ]

    code_clear_output = "import { clearOutput } from 'cellfit/kernel';\nclearOutput();"

    code_history_pattern = "6*7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.sqrt"


if __name__ == "__main__":
    unittest.main(verbosity=2)
