// Placeholder until the CNN layers land: prints how to train the CNN with the command line.
print("mnist-cnn: not written yet")
