import NeuralCore
import Imaging
import CLibFreeType
