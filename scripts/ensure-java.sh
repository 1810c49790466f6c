#!/usr/bin/env bash
# A Java 17 runtime for the Spark engine (PySpark starts its JVM from it): Debian's OpenJDK, installed if missing.
set -euo pipefail
if command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Java 17 is missing: run 'sudo apt-get install -y openjdk-17-jre-headless' (or this script as root)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless
