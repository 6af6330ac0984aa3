"""``python -m stylist.stylize``: see :mod:`stylist.cli.stylize`."""

from stylist.cli.stylize import main

if __name__ == "__main__":
    main()
