"""Networks sized for a dataset's image shape: a convolutional VAE and a small CNN."""
