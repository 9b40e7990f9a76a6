from tflint_fn.cli import main

main()
