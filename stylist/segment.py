"""``python -m stylist.segment``: see :mod:`stylist.cli.segment`."""

from stylist.cli.segment import main

if __name__ == "__main__":
    main()
