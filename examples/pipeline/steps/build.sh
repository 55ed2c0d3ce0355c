#!/bin/sh
# The build step of the example: it succeeds unless FAIL names it.
sleep 0.2
[ "$FAIL" != "build" ]
