"""Model families, all speaking one chain-rule contract (see ARModel)."""

from arstudio.models.base import ARModel
from arstudio.models.catalog import FAMILIES, FamilyInfo, build_model, family_info

__all__ = ["ARModel", "FAMILIES", "FamilyInfo", "build_model", "family_info"]
