from tflint_fn.cli import entry

entry()
