#!/bin/sh
# Writes deploy/k8s/region-<name>.yaml for each region from deploy/k8s/region.yaml.in.
# Usage: sh tools/k8s-regions.sh [IMAGE] [REPLICAS] REGION...
#   sh tools/k8s-regions.sh registry.example/prober:0.1.0 2 ap-northeast-1 eu-west-1 us-east-1
set -eu
cd "$(dirname "$0")/../deploy/k8s"
image=${1:-prober:0.1.0}
replicas=${2:-2}
shift 2 2>/dev/null || shift $#
[ $# -gt 0 ] || set -- ap-northeast-1 eu-west-1 us-east-1
count=$#
index=0
for region in "$@"; do
  sed -e "s|@REGION@|$region|g" -e "s|@IMAGE@|$image|g" -e "s|@REPLICAS@|$replicas|g" \
      -e "s|@INDEX@|$index|g" -e "s|@REGIONS@|$count|g" region.yaml.in > "region-$region.yaml"
  echo "deploy/k8s/region-$region.yaml (region $index of $count, $replicas replicas)"
  index=$((index + 1))
done
