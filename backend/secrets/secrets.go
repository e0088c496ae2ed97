// Package secrets keeps credentials (TikTok access tokens, refresh tokens) in
// the OS keychain behind a small interface, with an in-memory store for the
// "no keychain" mode and for tests. Values never touch a file.
package secrets

import (
	"errors"
	"fmt"
	"sync"

	"github.com/zalando/go-keyring"
)

// Service is the keychain service name every entry is stored under.
const Service = "audience-uploader"

// MaxValueBytes is the largest value accepted: Windows' Credential Manager
// caps a credential blob at 2,560 bytes, so anything larger must be split by
// the caller (one entry per item) rather than work on one OS only.
const MaxValueBytes = 2560

var (
	// ErrNotFound means no entry exists for the key.
	ErrNotFound = errors.New("secret not found")
	// ErrUnavailable means no OS keychain can be used; it is wrapped with the
	// reason (e.g. no Secret Service on D-Bus).
	ErrUnavailable = errors.New("no OS keychain available")
	// ErrTooLarge means a value exceeds MaxValueBytes.
	ErrTooLarge = errors.New("secret value too large for the OS keychain")
)

// Store reads and writes secrets by key.
type Store interface {
	Get(key string) (string, error)
	Set(key, value string) error
	Delete(key string) error
}

// Keychain returns the OS keychain store (macOS Keychain, Windows Credential
// Manager, Secret Service on Linux) under Service.
func Keychain() Store { return keychain{} }

type keychain struct{}

func (keychain) Get(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	v, err := keyring.Get(Service, key)
	if err != nil {
		return "", mapErr("read", key, err)
	}
	return v, nil
}

func (keychain) Set(key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	if err := keyring.Set(Service, key, value); err != nil {
		return mapErr("store", key, err)
	}
	return nil
}

func (keychain) Delete(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := keyring.Delete(Service, key); err != nil {
		return mapErr("delete", key, err)
	}
	return nil
}

// mapErr turns go-keyring's errors into ErrNotFound / ErrTooLarge /
// ErrUnavailable. The value is never part of the message.
func mapErr(op, key string, err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%s keychain entry %q: %w", op, key, ErrNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%s keychain entry %q: %w", op, key, ErrTooLarge)
	default:
		return fmt.Errorf("%s keychain entry %q: %w (%v)", op, key, ErrUnavailable, err)
	}
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("secret key must not be empty")
	}
	return nil
}

func checkValue(key, value string) error {
	if len(value) > MaxValueBytes {
		return fmt.Errorf("store keychain entry %q: %w (%d bytes, at most %d)", key, ErrTooLarge, len(value), MaxValueBytes)
	}
	return nil
}

// probeKey is looked up (never written) to learn whether a keychain answers.
const probeKey = "probe"

// Probe returns nil if the OS keychain is usable, else ErrUnavailable wrapped
// with why. It only reads: a missing entry proves the keychain answered.
func Probe() error {
	_, err := keyring.Get(Service, probeKey)
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// Memory returns a store that lives in process memory only.
func Memory() Store { return &memory{m: map[string]string{}} }

type memory struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memory) Get(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return "", fmt.Errorf("read secret %q: %w", key, ErrNotFound)
	}
	return v, nil
}

func (s *memory) Set(key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

func (s *memory) Delete(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok {
		return fmt.Errorf("delete secret %q: %w", key, ErrNotFound)
	}
	delete(s.m, key)
	return nil
}
