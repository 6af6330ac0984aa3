"""``python -m stylist.train``: see :mod:`stylist.cli.train`."""

from stylist.cli.train import main

if __name__ == "__main__":
    main()
