print("stylize-bench: not yet")
