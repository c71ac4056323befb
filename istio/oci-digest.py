#!/usr/bin/env python3
"""Print the sha256 to pin in a plugin resource for the image in an OCI layout directory.

Istio checks `sha256` against the digest of the image manifest it pulls. When a tag
points at an image index (several platforms, or build attestations), Istio resolves
the index to its linux/amd64 image and checks that image's manifest digest, not the
index's. So this follows the layout's index.json down to the linux/amd64 manifest.

Usage: oci-digest.py LAYOUT_DIR   (used by `make image`)
"""

import json
import os
import sys

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def blob(layout, digest):
    algorithm, value = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algorithm, value), encoding="utf-8") as f:
        return json.load(f)


def image_manifest(layout):
    with open(os.path.join(layout, "index.json"), encoding="utf-8") as f:
        descriptors = json.load(f)["manifests"]
    while True:
        if len(descriptors) == 1 and descriptors[0].get("mediaType") not in INDEX_TYPES:
            return descriptors[0]
        candidates = [
            d for d in descriptors
            if d.get("mediaType") in INDEX_TYPES
            or d.get("platform", {}).get("os", "linux") == "linux"
            and d.get("platform", {}).get("architecture", "amd64") == "amd64"
        ]
        if len(candidates) != 1:
            sys.exit("oci-digest: expected one linux/amd64 image in the layout, found %d" % len(candidates))
        chosen = candidates[0]
        if chosen.get("mediaType") not in INDEX_TYPES:
            return chosen
        descriptors = blob(layout, chosen["digest"])["manifests"]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    digest = image_manifest(sys.argv[1])["digest"]
    algorithm, value = digest.split(":", 1)
    if algorithm != "sha256":
        sys.exit("oci-digest: the manifest digest is %s, not sha256" % algorithm)
    print(value)


if __name__ == "__main__":
    main()
