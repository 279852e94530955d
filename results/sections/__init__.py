"""The report's sections, one module each; every module registers its section with
:func:`results.registry.register_section` and is found by walking this package."""
