package main

// The S3 prefix case runs against versitygw (a real S3 server, the one the
// storage tests use) on loopback. The CLI reaches it as a user with static
// keys would: credential source aws-chain in its settings, the keys in the
// environment and AWS_ENDPOINT_URL_S3.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/audience-uploader/audience-uploader/backend/storage/s3test"
)

const benchBucket = "bench"

// s3Server is a running versitygw with a posix backend under the bench folder.
type s3Server struct {
	cmd      *exec.Cmd
	endpoint string
	client   *s3.Client
	env      []string // what the CLI needs to read from it
}

func startS3(dir string) (*s3Server, error) {
	bin, err := s3test.Binary()
	if err != nil {
		return nil, fmt.Errorf("versitygw not found (make setup-auth builds build/bin/versitygw, or set VERSITYGW): %w", err)
	}
	root := filepath.Join(dir, "s3root")
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--port", addr, "--access", s3test.AccessKey, "--secret", s3test.SecretKey,
		"--region", s3test.Region, "--quiet", "posix", root)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting versitygw: %w", err)
	}
	s := &s3Server{cmd: cmd, endpoint: "http://" + addr}
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("versitygw did not listen on %s within 20 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.client = s3.New(s3.Options{
		Region:       s3test.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, ""),
		BaseEndpoint: aws.String(s.endpoint),
		UsePathStyle: true,
	})
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(benchBucket)}); err != nil {
		s.stop()
		return nil, fmt.Errorf("creating the bucket: %w", err)
	}

	// The CLI's own settings folder, so the user's settings are neither
	// read nor changed.
	configDir := filepath.Join(dir, "s3-cli-config")
	if err := os.MkdirAll(configDir, 0o700); err != nil {
		s.stop()
		return nil, err
	}
	settings, _ := json.Marshal(map[string]any{"aws": map[string]string{"credential_source": "aws-chain", "region": s3test.Region}})
	if err := os.WriteFile(filepath.Join(configDir, "settings.json"), settings, 0o600); err != nil {
		s.stop()
		return nil, err
	}
	none := filepath.Join(dir, "s3-cli-config", "none")
	s.env = append(os.Environ(),
		"AUDIENCE_UPLOADER_CONFIG_DIR="+configDir,
		"AWS_ENDPOINT_URL_S3="+s.endpoint,
		"AWS_ACCESS_KEY_ID="+s3test.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+s3test.SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_REGION="+s3test.Region,
		"AWS_CONFIG_FILE="+none,
		"AWS_SHARED_CREDENTIALS_FILE="+none,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return s, nil
}

// upload puts every file of folder under prefix (which ends in "/").
func (s *s3Server) upload(folder, prefix string) error {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return err
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(folder, e.Name()))
		if err != nil {
			return err
		}
		_, err = s.client.PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String(benchBucket), Key: aws.String(prefix + e.Name()), Body: f})
		f.Close()
		if err != nil {
			return fmt.Errorf("uploading %s: %w", e.Name(), err)
		}
	}
	return nil
}

func (s *s3Server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}
