"""Step 2 — Setup: region, endpoint and credentials per path; load, test, apply and save the config."""

from workshop.ui.frame import page
from workshop.ui.setup_view import setup_page

ctx = page("Setup", step=2, icon=":material/settings:")
setup_page(ctx)
