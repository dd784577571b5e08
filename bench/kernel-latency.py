"""Measures one Jupyter kernel with jupyter_client, the way a frontend talks to it.

Usage: python3 kernel-latency.py SPEC.json, where SPEC is
  {"argv": [...], "cwd": "...", "env": {...}, "setup": ["cell", ...],
   "cells": {"name": ["cell", ...]}, "notebook": ["cell", ...], "first": "cell"}
Prints one JSON object: start-up (process start to kernel_info_reply, and to the first cell's
result) and, for every cell list, the round trip of each execute_request to its `idle` status.
Used by bench/kernel.bench.ts, which starts it once per kernel.
"""
import json
import os
import queue
import shutil
import sys
import tempfile
import time

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager


def spec_manager(argv, env):
    folder = tempfile.mkdtemp(prefix="cellfit-bench-kernel-")
    os.makedirs(os.path.join(folder, "bench"))
    with open(os.path.join(folder, "bench", "kernel.json"), "w") as f:
        json.dump({"argv": argv, "display_name": "bench", "language": "any", "env": env}, f)
    return folder, KernelSpecManager(kernel_dirs=[folder])


def round_trip(client, code, until_reply=False):
    """Milliseconds from sending execute_request to the kernel's idle status for it (or its reply)."""
    start = time.perf_counter()
    msg_id = client.execute(code, store_history=True)
    if until_reply:
        reply = client.get_shell_msg(timeout=120)
        return (time.perf_counter() - start) * 1000
    while True:
        message = client.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            elapsed = (time.perf_counter() - start) * 1000
            break
    reply = client.get_shell_msg(timeout=120)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=120)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {code!r}: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return elapsed


def main():
    spec = json.load(open(sys.argv[1]))
    folder, ksm = spec_manager(spec["argv"], spec.get("env", {}))
    manager = KernelManager(kernel_name="bench", kernel_spec_manager=ksm)
    try:
        start = time.perf_counter()
        manager.start_kernel(cwd=spec.get("cwd"))
        client = manager.client()
        client.start_channels()
        # One kernel_info_request, sent at once: ZeroMQ delivers it when the kernel binds its sockets.
        client.kernel_info()
        client.get_shell_msg(timeout=120)
        info_ms = (time.perf_counter() - start) * 1000
        # Until its execute_reply: iopub's subscription may not have reached the kernel this early.
        first_ms = round_trip(client, spec["first"], until_reply=True) + info_ms
        try:
            while True:
                client.get_iopub_msg(timeout=0.5)
        except queue.Empty:
            pass
        result = {"startup_info_ms": info_ms, "startup_first_cell_ms": first_ms, "cells": {}}
        phases = [("setup", spec.get("setup", []))] + list(spec["cells"].items()) + [("notebook", spec.get("notebook", []))]
        for name, cells in phases:
            times = []
            try:
                for index, code in enumerate(cells):
                    times.append(round_trip(client, code))
            except Exception as error:  # a kernel that fails or hangs: report how far it got
                result["failed"] = f"{name} cell {index + 1}: {type(error).__name__}: {error}"
                break
            if name != "setup" and times:
                result["cells"][name] = times
        client.stop_channels()
        print(json.dumps(result))
    finally:
        manager.shutdown_kernel(now=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
