"""The console's shared frame and widgets: the only part of ``workshop`` that imports streamlit.

Pages call :func:`workshop.ui.frame.page` first; state keys live in ``state.py``; long work
runs in ``runner.Job`` worker threads drawn by a fragment.
"""
