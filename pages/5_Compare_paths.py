"""Step 5 — Compare paths: run the same request over several paths and chart what each costs."""

from workshop.ui.compare_view import compare_page
from workshop.ui.frame import page

ctx = page("Compare paths", step=5, icon=":material/monitoring:")
compare_page(ctx)
