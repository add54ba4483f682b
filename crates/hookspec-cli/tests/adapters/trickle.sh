#!/bin/sh
# Test adapter: reads one request, starts an answer and then sends one more byte every tenth
# of a second, forever, never completing the line.
read -r line
printf '{"tcId": 1, '
while :; do
  printf ' '
  sleep 0.1
done
