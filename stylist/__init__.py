"""stylist: neural style transfer (Gatys, Johnson, WCT, photo style) and fashion style change.

Import what you need from its module::

    from stylist.image import load_image, save_image
    from stylist.gatys import stylize
    import stylist.losses

The Gatys function lives at ``stylist.gatys.stylize`` (not ``stylist.stylize``, which is the
``python -m stylist.stylize`` command-line module).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
