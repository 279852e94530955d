"""DNN scoring on the identical stimulus files. The only package that imports torch."""
