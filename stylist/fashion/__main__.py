"""``python -m stylist.fashion``: see :mod:`stylist.cli.fashion`."""

from stylist.cli.fashion import main

if __name__ == "__main__":
    main()
