"""jupyter_kernel_test's protocol conformance suite, with every sample filled in, against the
cellfit kernel. Run by test/kernel/conformance.test.ts with the kernelspec installed under a
temporary JUPYTER_PATH; the working directory is the repository (so `cellfit/kernel` resolves)."""
import inspect
import unittest

import jupyter_kernel_test
from jupyter_client.utils import run_sync


async def run_sync_or_await(value):
    """The result of a channel call, whether that channel's get_msg is a coroutine or not."""
    return await value if inspect.isawaitable(value) else value


class CellfitKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "cellfit"
    language_name = "typescript"
    file_extension = ".ts"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.prepare()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def prepare(cls):
        # The suite reads the iopub messages that follow a reply with 0.1 s timeouts: on a loaded
        # machine the kernel's idle status can come later than that. Reads wait up to 30 s here,
        # except in flush_channels(), which waits for silence.
        iopub = cls.kc.iopub_channel
        cls.quick_iopub_get = iopub.get_msg

        async def patient_get(*args, timeout=None, **kwargs):
            return await run_sync_or_await(cls.quick_iopub_get(*args, timeout=None if timeout is None else max(timeout, 30), **kwargs))

        iopub.get_msg = patient_get
        # The first cell that imports waits for tf.js to load, which takes seconds on a loaded
        # machine: done here, so that the suite's 15 s per reply times the protocol, not the load.
        warm_up = cls.kc.execute("import { display } from 'cellfit/kernel';", store_history=False)
        while cls.kc.get_shell_msg(timeout=300)["parent_header"].get("msg_id") != warm_up:
            pass
        while True:
            msg = run_sync(iopub.get_msg)(timeout=300)
            if msg["parent_header"].get("msg_id") == warm_up and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break

    def flush_channels(self):
        iopub = self.kc.iopub_channel
        patient = iopub.get_msg
        iopub.get_msg = self.quick_iopub_get
        try:
            super().flush_channels()
        finally:
            iopub.get_msg = patient

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
