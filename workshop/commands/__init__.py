"""CLI commands, one module each; see ``workshop.cli``."""
