"""`python -m csm_tui` runs the `csm` command."""

from csm_tui.launch import main

if __name__ == "__main__":
    main()
