"""Data layer: what a model models (DataSpec), the built-in data sets, the user's files, mu-law."""

from arstudio.data.catalog import DATASETS, DatasetInfo, dataset_info, dataset_spec, load_dataset
from arstudio.data.examples import ArrayDataset, Examples
from arstudio.data.mulaw import mu_law_decode, mu_law_encode
from arstudio.data.paths import cache_dir, data_home
from arstudio.data.spec import KINDS, DataSpec
from arstudio.data.splits import SPLITS
from arstudio.data.user_files import USER_PREFIX, load_user_data, user_data_spec

__all__ = [
    "DATASETS",
    "KINDS",
    "SPLITS",
    "USER_PREFIX",
    "ArrayDataset",
    "DataSpec",
    "DatasetInfo",
    "Examples",
    "cache_dir",
    "data_home",
    "dataset_info",
    "dataset_spec",
    "load_dataset",
    "load_user_data",
    "mu_law_decode",
    "mu_law_encode",
    "user_data_spec",
]
