# Meta destination: the phone cross-check against Python's libphonenumber
# port (Debian python3-phonenumbers) and the Meta upload benchmark.
# Included by the Makefile.

META_APT := python3-phonenumbers

SETUP_TARGETS += setup-meta
TEST_TARGETS += test-meta-phones

.PHONY: setup-meta test-meta-phones bench-meta

# apt packages, only those missing (tools/apt-ensure.sh).
setup-meta:
	@tools/apt-ensure.sh $(META_APT)

# Meta's PHONE rule against an independent implementation; fails (rather
# than skips) when python3-phonenumbers is missing.
test-meta-phones: setup-meta
	META_PHONE_CROSSCHECK=1 $(GO) test -count=1 -run 'TestMetaPhonesAgreeWithPythonPhonenumbers' ./backend/identifiers/

# Upload rate against the Meta stand-in at its default rate limit: its own
# speed, then a run long enough to hit the limit on a clock that skips the
# back-offs (about a minute).
bench-meta:
	$(GO) test -run='^$$' -bench='^BenchmarkMetaUpload$$' -benchtime=3x ./backend/metaupload/
	$(GO) test -run='^$$' -bench=BenchmarkMetaUploadAtRateLimit -benchtime=1x ./backend/metaupload/
