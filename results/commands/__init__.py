"""The table commands of ``python -m results``, one module each; every module registers
its table with :func:`results.registry.register_table` and is found by walking this
package (adding a table command is adding a module here)."""
