"""Importing TensorFlow quietly.

TensorFlow's C++ runtime prints start-up chatter on the process's standard error before its
logging is configured (e.g. "Could not find cuda drivers on your machine"), whatever
`TF_CPP_MIN_LOG_LEVEL` says. kerasplug promises one-line errors, so the first import of
TensorFlow captures file descriptor 2 and passes on only what is not such chatter.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from typing import Any

_CHATTER = re.compile(
    r"All log messages before absl::InitializeLog|cudart_stub|Could not find cuda drivers|"
    r"oneDNN custom operations|This TensorFlow binary is optimized|Unable to register cu|"
    r"computation placer already registered|TF-TRT Warning|rebuild TensorFlow with"
)


def import_tensorflow() -> Any:
    """Import and return `tensorflow`, hiding its known start-up chatter on stderr."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not _CHATTER.search(line):
                    print(line, file=sys.stderr)
    return tensorflow
