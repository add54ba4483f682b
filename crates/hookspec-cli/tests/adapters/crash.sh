#!/bin/sh
# Test adapter: reads one request, then dies without answering.
read -r line
echo "crashing on purpose" >&2
exit 3
