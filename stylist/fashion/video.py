"""``python -m stylist.fashion.video``: see :mod:`stylist.cli.video`."""

from stylist.cli.video import main

if __name__ == "__main__":
    main()
