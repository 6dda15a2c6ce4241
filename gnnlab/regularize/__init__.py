"""Fighting over-fitting (the notes, section 3.3): early stopping and best-epoch selection, dropout, augmentation,
ensembles.

The 60/20/20 split is :func:`gnnlab.data.random_split`; L2 and L1 penalties are in :class:`gnnlab.optim.SGD`.
"""
from gnnlab.nn.functional.dropout import dropout
from gnnlab.regularize.augmentation import ImageAugmentation, gaussian_noise, random_rotation, random_shift
from gnnlab.regularize.best_epoch import BestEpoch
from gnnlab.regularize.dropout import Dropout
from gnnlab.regularize.early_stopping import EarlyStopping
from gnnlab.regularize.ensemble import Ensemble

__all__ = ["EarlyStopping", "BestEpoch", "Dropout", "dropout", "ImageAugmentation", "random_shift", "random_rotation",
           "gaussian_noise", "Ensemble"]
