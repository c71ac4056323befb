#!/usr/bin/env python3
"""Extract the validation schemas of the CRDs that the project's manifests use into
one JSON file.

Usage:

    python3 generate.py CRD_YAML RELEASE --source "TEXT" [--out-dir DIR]

CRD_YAML is a multi-document YAML file of CustomResourceDefinitions (Istio's
`crd-all.gen.yaml` of one release, one CRD file of the Prometheus Operator or of
Envoy Gateway, or the Gateway API's standard CRD files joined with `---`).
RELEASE names the output file: `RELEASE.json` in DIR (default: this script's
directory). TEXT says where CRD_YAML came from (repository, ref, path, commit)
and is written into the file as its top-level "source".

Needs: Python 3.11 and PyYAML (any 6.x). Nothing else.

Output, deterministic (sorted keys, one-space indent, trailing newline):

    {
      "release": RELEASE,
      "source": TEXT,
      "schemas": { "GROUP/VERSION/KIND": <openAPIV3Schema>, ... },
      "same_as": { "GROUP/VERSION/KIND": "GROUP/OTHER_VERSION/KIND", ... }
    }

One entry per served version of each kept kind (KEPT_KINDS below). Versions of a
kind whose reduced schemas are identical (Istio serves v1, v1beta1 and v1alpha3
of its networking kinds with one schema) are stored once, under the first of
them in sorted order, and the others are listed in "same_as". Each schema
keeps only the keywords that decide whether a document is valid (KEPT_KEYWORDS),
defaults among them (the API server applies them before it validates);
descriptions and examples are dropped. The schema is copied as the CRD
states it: Kubernetes' own semantics (closed objects, `nullable`, the implicit
apiVersion/kind/metadata of the root, int-or-string, defaults, CEL rules) are
applied by the validator that reads these files, `crd_schema.rs`.

A keyword that is neither kept nor known to be documentation stops the script, so
a new release's new keyword is never dropped unnoticed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

# (group, kind) pairs that istio/ and envoy-gateway/ ship. A kind absent from a
# release is skipped.
KEPT_KINDS = {
    ("extensions.istio.io", "WasmPlugin"),
    ("extensions.istio.io", "TrafficExtension"),
    ("networking.istio.io", "VirtualService"),
    ("networking.istio.io", "DestinationRule"),
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "EnvoyFilter"),
    ("monitoring.coreos.com", "PrometheusRule"),
    ("gateway.networking.k8s.io", "Gateway"),
    ("gateway.networking.k8s.io", "HTTPRoute"),
    ("gateway.envoyproxy.io", "EnvoyExtensionPolicy"),
}

# Keywords whose value is a schema, a list of schemas, or a map of schemas.
SCHEMA_KEYWORDS = {"items", "additionalProperties", "not"}
SCHEMA_LIST_KEYWORDS = {"oneOf", "anyOf", "allOf"}
SCHEMA_MAP_KEYWORDS = {"properties"}

# Keywords whose value is kept as it is.
VALUE_KEYWORDS = {
    "type",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "uniqueItems",
    "required",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    # The API server applies defaults before it validates, and CEL rules read the
    # defaulted fields (the Gateway API's do), so the validator needs them.
    "default",
}

KEPT_KEYWORDS = (
    SCHEMA_KEYWORDS
    | SCHEMA_LIST_KEYWORDS
    | SCHEMA_MAP_KEYWORDS
    | VALUE_KEYWORDS
    | {"x-kubernetes-validations"}
)

# Keywords that only document a value; they never make a document invalid, so
# they are dropped.
DROPPED_KEYWORDS = {"description", "example", "title", "x-kubernetes-embedded-resource"}

# The parts of a CEL rule kept: the expression and its message. A rule with any
# other field (messageExpression, reason, fieldPath, optionalOldSelf) stops the
# script, since the validator would not honour it.
KEPT_RULE_FIELDS = {"rule", "message"}


class SchemaError(Exception):
    """A CRD schema this script does not know how to reduce."""


def reduce_schema(node: object, where: str) -> dict:
    """Return `node` with only the kept keywords, recursively."""
    if not isinstance(node, dict):
        raise SchemaError(f"{where}: a schema must be a mapping, found {type(node).__name__}")
    out: dict = {}
    for key, value in node.items():
        if key in DROPPED_KEYWORDS:
            continue
        if key in SCHEMA_MAP_KEYWORDS:
            out[key] = {name: reduce_schema(sub, f"{where}/{name}") for name, sub in value.items()}
        elif key in SCHEMA_LIST_KEYWORDS:
            out[key] = [reduce_schema(sub, f"{where}{{{key}[{i}]}}") for i, sub in enumerate(value)]
        elif key in SCHEMA_KEYWORDS:
            # additionalProperties may be a boolean.
            out[key] = value if isinstance(value, bool) else reduce_schema(value, f"{where}/{key}")
        elif key == "x-kubernetes-validations":
            rules = []
            for i, rule in enumerate(value):
                extra = set(rule) - KEPT_RULE_FIELDS
                if extra:
                    raise SchemaError(f"{where}: CEL rule {i} has fields {sorted(extra)} the validator does not honour")
                rules.append({k: rule[k] for k in sorted(rule)})
            out[key] = rules
        elif key in VALUE_KEYWORDS:
            out[key] = value
        else:
            raise SchemaError(f"{where}: unknown schema keyword {key!r}: add it to KEPT_KEYWORDS or DROPPED_KEYWORDS")
    return out


def extract(documents: list, source_name: str) -> dict:
    """Map GROUP/VERSION/KIND to the reduced schema of every kept, served version."""
    schemas: dict = {}
    for doc in documents:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        if (group, kind) not in KEPT_KINDS:
            continue
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            key = f"{group}/{version['name']}/{kind}"
            try:
                schema = version["schema"]["openAPIV3Schema"]
            except KeyError as err:
                raise SchemaError(f"{source_name}: {key} has no openAPIV3Schema") from err
            if key in schemas:
                raise SchemaError(f"{source_name}: {key} is defined twice")
            schemas[key] = reduce_schema(schema, key)
    return schemas


def deduplicate(schemas: dict) -> tuple[dict, dict]:
    """Store each distinct schema once; map the other keys that have it to it."""
    stored: dict = {}
    same_as: dict = {}
    for key in sorted(schemas):
        group, _, kind = key.split("/")
        first = next(
            (k for k in stored if k.split("/")[0] == group and k.split("/")[2] == kind and stored[k] == schemas[key]),
            None,
        )
        if first is None:
            stored[key] = schemas[key]
        else:
            same_as[key] = first
    return stored, same_as


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("crd_yaml", type=Path, help="multi-document YAML of CustomResourceDefinitions")
    parser.add_argument("release", help="release name; the output is RELEASE.json")
    parser.add_argument("--source", required=True, help="where the YAML came from: repository, ref, path, commit")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)

    with args.crd_yaml.open(encoding="utf-8") as f:
        documents = list(yaml.safe_load_all(f))
    try:
        schemas = extract(documents, str(args.crd_yaml.name))
    except SchemaError as err:
        print(f"generate.py: {err}", file=sys.stderr)
        return 1
    if not schemas:
        print(f"generate.py: no kept kind in {args.crd_yaml}", file=sys.stderr)
        return 1

    stored, same_as = deduplicate(schemas)
    out = {"release": args.release, "source": args.source, "schemas": stored, "same_as": same_as}
    path = args.out_dir / f"{args.release}.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{path.name}: {', '.join(sorted(schemas))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
