"""Step 3 — Model & prompt: pick a model, edit its request body, see the same call as code."""

from workshop.ui.frame import page
from workshop.ui.model_view import model_page

ctx = page("Model & prompt", step=3, icon=":material/tune:")
model_page(ctx)
