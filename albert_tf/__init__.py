"""albert-tf: ALBERT (Lan et al., ICLR 2020) in TensorFlow 2 / tf-keras.

Importing this package has no side effects and does not import TensorFlow;
import the submodules you need (e.g. `from albert_tf import configs`).
"""

__version__ = "0.1.0"
