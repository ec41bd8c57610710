"""The UI as `serve` runs it: Streamlit's own command, in a process that stops with `serve`.

`python -m eduportal.cli.streamlit_child PARENT_PID run APP [OPTIONS]`: the arguments after
the parent's id are Streamlit's. Stopping is Streamlit's own graceful shutdown, on the SIGTERM
this process sends itself once its parent has ended (`parent_watch`).
"""

from __future__ import annotations

import os
import signal
import sys

from eduportal.cli.parent_watch import stop_with_parent


def main() -> None:
    parent, streamlit_args = int(sys.argv[1]), sys.argv[2:]
    stop_with_parent(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", *streamlit_args]
    streamlit()


if __name__ == "__main__":
    main()
