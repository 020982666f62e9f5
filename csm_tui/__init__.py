"""csm-tui: a keyboard-first terminal desk for contact-center agents."""

__version__ = "0.1.0"
