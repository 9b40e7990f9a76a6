"""Stage 3, one function at a time: tensor-ness, statement order, what `if` tests say, the walker the later stages share."""
