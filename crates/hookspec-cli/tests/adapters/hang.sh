#!/bin/sh
# Test adapter: reads one request and never answers (a child process keeps it busy).
read -r line
sleep 600
