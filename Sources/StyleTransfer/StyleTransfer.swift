import NeuralCore
import Imaging
