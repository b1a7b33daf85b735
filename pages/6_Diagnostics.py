"""Step 6 — Diagnostics: prove each path (DNS, TCP/TLS, identity, model access); generate policies."""

from workshop.ui.diagnostics_view import diagnostics_page
from workshop.ui.frame import page

ctx = page("Diagnostics", step=6, icon=":material/troubleshoot:")
diagnostics_page(ctx)
