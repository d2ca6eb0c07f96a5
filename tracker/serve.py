"""`python -m tracker.serve run …`: Streamlit's own command line, with the dashboard's libraries loaded
while the server starts and waits for its first browser, so that the first page does not wait for them."""

import ctypes
import importlib
import signal
import sys
import threading

# In the order the router and the default page import them, so the page's own imports wait for these
# rather than cross them.
_FIRST_PAGE = (
    "tracker.dashboard",
    "pandas",
    "plotly.graph_objects",
    "tracker.services.presentation.charts",
    "tracker.services.progress.trends",
    "tracker.services.progress.comparison",
    "tracker.ui.deadlines",
)


def _load_first_page() -> None:
    for name in _FIRST_PAGE:
        try:
            importlib.import_module(name)
        except Exception:  # the page imports it again and reports what is wrong
            return


def _stop_with_parent() -> None:
    """On Linux, the server stops when the process that started it (`tracker dashboard`) ends, however
    it ends: stopping that command, as a service manager or `kill` does, leaves no server behind."""
    if sys.platform.startswith("linux"):
        set_parent_death_signal = 1  # PR_SET_PDEATHSIG in <linux/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGTERM)


def main() -> None:
    from streamlit.web import cli

    _stop_with_parent()
    threading.Thread(target=_load_first_page, name="load-first-page", daemon=True).start()
    cli.main(sys.argv[1:], prog_name="streamlit")


if __name__ == "__main__":
    main()
