"""Loading, validating, merging and compiling templates.

A template is a stack of layers (a merchant's file over ``_generic.yaml``). Merging
happens while compiling: upper layers come first in every list, and a label text
claimed by an upper layer in any role is dropped from the layers below, so a
merchant can turn a generic label into an exclusion (or the other way round).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import regex
import yaml
from pydantic import ValidationError

from merchants.parsing.errors import TemplateError
from merchants.parsing.labels import Label, LabelSet
from merchants.parsing.schema import TemplateSpec
from merchants.parsing.timed import TimedPattern

GENERIC_ID = "_generic"
# The templates shipped with the service: merchants/templates/*.yaml
BUNDLED_DIR = Path(__file__).resolve().parents[1] / "templates"
OPTION_DEFAULTS: dict[str, Any] = {
    "decimal_separator": ".", "max_age_days": 400, "tax_rates": (),
}
LABEL_ROLES: dict[str, tuple[str, ...]] = {
    "date": ("labels", "fallback_labels", "exclude_labels"),
    "time": ("labels", "fallback_labels", "exclude_labels"),
    "receipt_no": ("labels", "fallback_labels", "exclude_labels"),
    "transaction_id": ("labels", "fallback_labels", "exclude_labels"),
    "total": (
        "labels",
        "fallback_labels",
        "exclude_labels",
        "discount_labels",
        "tendered_labels",
        "change_labels",
        "rounding_labels",
    ),
}
# Named groups each value grammar must define (any one of a tuple is enough).
REQUIRED_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "date": (("d",), ("m", "mon")),  # without a year group the year is inferred
    "time": (("H",), ("M",)),
    "receipt_no": (("value",),),
    "transaction_id": (("value",),),
}


@dataclass(frozen=True)
class Options:
    replace: tuple[tuple[str, str], ...]
    digit_confusions: Mapping[str, str]
    decimal_separator: str
    max_age_days: int
    tax_rates: tuple[Decimal, ...]


@dataclass(frozen=True)
class FieldRules:
    labels: LabelSet
    end_labels: LabelSet
    patterns: tuple[TimedPattern, ...]


@dataclass(frozen=True)
class Template:
    """A compiled template. ``layers`` are the (id, spec) pairs it was built from."""

    id: str
    version: int
    layers: tuple[tuple[str, TemplateSpec], ...]
    keywords: tuple[TimedPattern, ...]
    exclude_keywords: tuple[TimedPattern, ...]
    options: Options
    fields: Mapping[str, FieldRules]
    payment_labels: LabelSet

    def matches(self, text: str) -> bool:
        """All keywords and no exclude keyword found in ``text`` (False without keywords)."""
        return (
            bool(self.keywords)
            and all(k.search(text) for k in self.keywords)
            and not any(k.search(text) for k in self.exclude_keywords)
        )

    def merged_over(self, base: "Template") -> "Template":
        """This template's rules first, then ``base``'s."""
        return compile_layers(self.layers + base.layers)


def load_template(source: str | Path | Mapping[str, Any]) -> Template:
    """Load one template from a YAML file (its name is the id) or a dict with an ``id``."""
    if isinstance(source, Mapping):
        template_id = str(source.get("id") or "")
        if not template_id:
            raise TemplateError("<dict>", "a template given as a dict needs an 'id'")
        return compile_layers(((template_id, _validate(template_id, source)),))
    path = Path(source)
    template_id = path.stem
    raw = _read_yaml(template_id, path)
    spec = _validate(template_id, raw)
    if spec.id is not None and spec.id != template_id:
        raise TemplateError(template_id, f"id {spec.id!r} differs from the file name")
    return compile_layers(((template_id, spec),))


class TemplateSet:
    """The generic template plus one merged template per merchant, built once."""

    def __init__(self, generic: Template, merchants: Sequence[Template] = ()):
        self.generic = generic
        self._by_merchant = {t.id: t.merged_over(generic) for t in merchants}

    @classmethod
    def from_dir(cls, path: str | Path) -> "TemplateSet":
        files = sorted(Path(path).glob("*.yaml"))
        generic_files = [f for f in files if f.stem == GENERIC_ID]
        if not generic_files:
            raise TemplateError(GENERIC_ID, f"{path} has no {GENERIC_ID}.yaml")
        merchants = [load_template(f) for f in files if f.stem != GENERIC_ID]
        return cls(load_template(generic_files[0]), merchants)

    def replacing(self, templates: Sequence[Template]) -> "TemplateSet":
        """This set with ``templates`` in place of the same merchants' templates."""
        replaced = TemplateSet(self.generic)
        replaced._by_merchant = {**self._by_merchant,
                                 **{t.id: t.merged_over(self.generic) for t in templates}}
        return replaced

    def for_merchant(self, merchant_id: str | None) -> Template:
        """The merchant's template merged over the generic one, else the generic one."""
        return self._by_merchant.get(merchant_id or "", self.generic)

    def match_keywords(self, text: str) -> Template | None:
        """The merchant template whose keywords identify ``text``, if exactly one does."""
        found = [t for t in self._by_merchant.values() if t.matches(text)]
        return found[0] if len(found) == 1 else None


def _read_yaml(template_id: str, path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(template_id, f"cannot read {path}: {exc}") from exc


def _validate(template_id: str, raw: Any) -> TemplateSpec:
    if not isinstance(raw, Mapping):
        raise TemplateError(template_id, "a template must be a mapping of keys")
    try:
        return TemplateSpec.model_validate(raw)
    except ValidationError as exc:
        raise TemplateError(template_id, _describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
    )


def compile_layers(layers: tuple[tuple[str, TemplateSpec], ...]) -> Template:
    template_id, top = layers[0]
    try:
        return Template(
            id=template_id,
            version=top.version,
            layers=layers,
            keywords=tuple(_compile(k) for k in top.keywords),
            exclude_keywords=tuple(_compile(k) for k in top.exclude_keywords),
            options=_merge_options(layers),
            fields={name: _compile_field(name, layers) for name in LABEL_ROLES},
            payment_labels=LabelSet(_payment_labels(layers)),
        )
    except (regex.error, ValueError) as exc:
        raise TemplateError(template_id, str(exc)) from exc


def _compile(pattern: str) -> TimedPattern:
    try:
        return TimedPattern(pattern)
    except regex.error as exc:
        raise ValueError(f"bad regex {pattern!r}: {exc}") from exc


def _field_spec(spec: TemplateSpec, name: str) -> Any:
    return getattr(spec.fields, name)


def _compile_field(name: str, layers: tuple[tuple[str, TemplateSpec], ...]) -> FieldRules:
    labels: list[Label] = []
    claimed: set[str] = set()
    end_labels: list[Label] = []
    patterns: list[TimedPattern] = []
    for origin, spec in layers:
        field = _field_spec(spec, name)
        if field is None:
            continue
        layer_labels = _layer_labels(field, LABEL_ROLES[name], origin, labels, claimed)
        claimed.update(_key(label.text) for label in layer_labels)
        labels += layer_labels
        end_labels += [Label(t, "end", len(end_labels), origin) for t in field.end_labels]
        patterns += [_checked_pattern(name, p) for p in getattr(field, "patterns", [])]
    return FieldRules(LabelSet(tuple(labels)), LabelSet(tuple(end_labels)), tuple(patterns))


def _layer_labels(
    field: Any, roles: tuple[str, ...], origin: str, earlier: list[Label], claimed: set[str]
) -> list[Label]:
    """One layer's labels, ranked after the same role's labels from upper layers.

    A label listed twice within one layer is an error: its role would be ambiguous.
    """
    result: list[Label] = []
    for role_key in roles:
        role = "label" if role_key == "labels" else role_key.removesuffix("_labels")
        rank = sum(1 for label in earlier if label.role == role)
        for text in getattr(field, role_key):
            if any(_key(text) == _key(mine.text) for mine in result):
                raise ValueError(f"label {text!r} is listed twice")
            if _key(text) in claimed:
                continue
            result.append(Label(text, role, rank, origin))
            rank += 1
    return result


def _key(text: str) -> str:
    return text.casefold().replace(" ", "")


def _checked_pattern(field_name: str, pattern: str) -> TimedPattern:
    compiled = _compile(pattern)
    for alternatives in REQUIRED_GROUPS.get(field_name, ()):
        if not any(group in compiled.groupindex for group in alternatives):
            needed = " or ".join(f"(?P<{g}>…)" for g in alternatives)
            raise ValueError(f"{field_name} pattern {pattern!r} needs a group {needed}")
    return compiled


def _payment_labels(layers: tuple[tuple[str, TemplateSpec], ...]) -> tuple[Label, ...]:
    labels: list[Label] = []
    seen: set[str] = set()
    for origin, spec in layers:
        payment = spec.fields.payment_method
        for text, code in payment.map.items() if payment else ():
            if _key(text) not in seen:
                seen.add(_key(text))
                labels.append(Label(text, code, len(labels), origin))
    return tuple(labels)


def _merge_options(layers: tuple[tuple[str, TemplateSpec], ...]) -> Options:
    scalars = dict(OPTION_DEFAULTS)
    for _, spec in reversed(layers):
        scalars.update(
            {
                k: v
                for k, v in spec.options.model_dump(include=set(OPTION_DEFAULTS)).items()
                if v is not None
            }
        )
    confusions: dict[str, str] = {}
    for _, spec in reversed(layers):
        confusions.update(spec.options.digit_confusions or {})
    replace = tuple(pair for _, spec in layers for pair in (spec.options.replace or []))
    scalars["tax_rates"] = tuple(Decimal(str(rate)) for rate in scalars["tax_rates"])
    return Options(replace=replace, digit_confusions=confusions, **scalars)
