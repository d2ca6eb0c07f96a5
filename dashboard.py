"""`streamlit run dashboard.py` in a checkout: the router lives in tracker/dashboard.py."""

from tracker.dashboard import main

main()
