#!/bin/sh
# Test adapter: answers every request with a line that is not JSON.
while read -r line; do
  echo "this is not JSON"
done
