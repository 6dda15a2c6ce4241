"""The Planetoid raw files bundled with gnnlab: installed as the package data of ``gnnlab.datasets``
(see ``LICENSE.planetoid``); read them with :func:`gnnlab.data.load_planetoid`."""
