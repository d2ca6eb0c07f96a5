"""`python -m tracker.serve run …`: Streamlit's own command line, with the dashboard's libraries loaded
while the server starts and waits for its first browser, so that the first page does not wait for them."""

import importlib
import sys
import threading

# In the order the router and the default page import them, so the page's own imports wait for these
# rather than cross them.
_FIRST_PAGE = (
    "tracker.dashboard",
    "pandas",
    "plotly.graph_objects",
    "tracker.services.charts",
    "tracker.services.trends",
    "tracker.services.comparison",
    "tracker.ui.deadlines",
)


def _load_first_page() -> None:
    for name in _FIRST_PAGE:
        try:
            importlib.import_module(name)
        except Exception:  # the page imports it again and reports what is wrong
            return


def main() -> None:
    from streamlit.web import cli

    threading.Thread(target=_load_first_page, name="load-first-page", daemon=True).start()
    cli.main(sys.argv[1:], prog_name="streamlit")


if __name__ == "__main__":
    main()
