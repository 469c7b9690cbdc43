"""A registry built from the labels, for label sets that come without one."""

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rapidfuzz import fuzz

from merchants.recognize import name_key
from merchants.types import MerchantProfile
from training_data.evaluate.run import Sample
from training_data.loop.judge import labelled
from training_data.loop.labels import normalize_merchant

# Label spellings of store names this alike (rapidfuzz ratio of their comparison keys) are
# one store: typos and "(M)" variants score 95-98, distinct stores of one chain below 90.
SAME_STORE_RATIO = 92


def profiles_from_labels(labels: Iterable[Mapping[str, Any]]) -> list[MerchantProfile]:
    """A registry of the stores the labels name, for label sets without a registry file.

    Label sets spell one store several ways (``MR. D.I.Y. (M) SDN BHD`` / ``MR. D.I.Y. SDN
    BHD``, ``TEO HENG`` / ``TED HENG``); a mall lists each store once, so spellings whose
    names, without legal words (recognition's ``name_key``), are ``SAME_STORE_RATIO`` alike
    are one store: named by its most frequent spelling, the others its aliases."""
    counts: dict[str, Counter[str]] = {}  # key → spelling → labels
    for label in labels:
        if labelled(label, "merchant"):
            spelling = str(label["merchant"]).strip()
            if key := name_key(spelling) or normalize_merchant(spelling):
                counts.setdefault(key, Counter())[spelling] += 1
    stores: list[tuple[list[str], Counter[str]]] = []  # (keys, spelling → labels) per store
    for key, spellings in counts.items():
        same = next((store for store in stores
                     if any(fuzz.ratio(key, k) >= SAME_STORE_RATIO for k in store[0])), None)
        if same is None:
            stores.append(([key], Counter(spellings)))
        else:
            same[0].append(key)
            same[1].update(spellings)
    return [_label_store(keys, spellings) for keys, spellings in stores]


def _label_store(keys: list[str], spellings: Counter[str]) -> MerchantProfile:
    [(name, _)] = spellings.most_common(1)  # the first on a tie
    digest = hashlib.sha1(keys[0].encode()).hexdigest()[:12]
    aliases = tuple(sorted(spelling for spelling in spellings if spelling != name))
    return MerchantProfile(id=f"label-{digest}", name=name, aliases=aliases)


def in_registry_spelling(samples: Sequence[Sample], profiles: Iterable[MerchantProfile]
                         ) -> list[Sample]:
    """The samples with each merchant label that is a store's alias replaced by the store's
    registry name, which is what the reader answers with."""
    names = {normalize_merchant(alias): p.name for p in profiles for alias in p.aliases}

    def respelled(label: Mapping[str, Any]) -> Mapping[str, Any]:
        name = names.get(normalize_merchant(str(label["merchant"])))
        return {**label, "merchant": name} if labelled(label, "merchant") and name else label

    return [Sample(s.image, respelled(s.label)) for s in samples]
