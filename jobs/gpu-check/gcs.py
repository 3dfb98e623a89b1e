"""gs:// copies for the gpu-check job: `python gcs.py cp SRC DST`, exactly one of them a gs://bucket/name.

Uploading a local directory copies every file below it to DST/<relative path>; a gs:// source is one
object, downloaded to the file DST. The key comes from GOOGLE_APPLICATION_CREDENTIALS (the
gcp-service-account credential). Needs google-cloud-storage. On failure it prints one line to stderr and
exits 1, so lib.sh can put the reason in the check's result.
"""

import os
import sys
from pathlib import Path


def split(uri):
    bucket, _, name = uri[len("gs://") :].partition("/")
    return bucket, name.strip("/")


def upload(client, source, destination):
    bucket_name, prefix = split(destination)
    bucket = client.bucket(bucket_name)
    root = Path(source)
    if root.is_file():
        bucket.blob(prefix).upload_from_filename(str(root))
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = f"{prefix}/{path.relative_to(root).as_posix()}" if prefix else path.relative_to(root).as_posix()
        bucket.blob(name).upload_from_filename(str(path))


def download(client, source, destination):
    bucket_name, name = split(source)
    client.bucket(bucket_name).blob(name).download_to_filename(destination)


def main(argv):
    if len(argv) != 3 or argv[0] != "cp" or [a.startswith("gs://") for a in argv[1:]].count(True) != 1:
        print("usage: gcs.py cp SRC DST (exactly one of them gs://bucket/name)", file=sys.stderr)
        return 2
    from google.cloud import storage

    client = storage.Client.from_service_account_json(os.environ["GOOGLE_APPLICATION_CREDENTIALS"])
    source, destination = argv[1], argv[2]
    if destination.startswith("gs://"):
        upload(client, source, destination)
    else:
        download(client, source, destination)
    return 0


def describe(error):
    # google.api_core errors carry an HTTP code and a message; auth and OS errors only a message.
    code, message = getattr(error, "code", None), getattr(error, "message", None) or str(error)
    text = " ".join(f"{type(error).__name__}{f' {code}' if code else ''}: {message}".split())
    return text[:400]


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # noqa: BLE001 - one line for the check's result, whatever failed
        print(describe(error), file=sys.stderr)
        sys.exit(1)
