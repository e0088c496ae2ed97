package authcmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/audience-uploader/audience-uploader/backend/auth"
	"github.com/audience-uploader/audience-uploader/backend/cli"
	"github.com/audience-uploader/audience-uploader/backend/secrets"
	"github.com/audience-uploader/audience-uploader/backend/settings"
)

// awsCmd groups the Cognito set-up commands that are not a sign-in.
func (d deps) awsCmd() *cobra.Command {
	c := &cobra.Command{Use: "aws", Short: "Cognito app client set-up"}
	c.AddCommand(d.setClientSecretCmd())
	return c
}

// setClientSecretCmd keeps an app client's secret in the OS keychain, where
// login and the app find it (the settings file never holds it).
func (d deps) setClientSecretCmd() *cobra.Command {
	var clientID string
	var remove bool
	c := &cobra.Command{
		Use:   "set-client-secret [--client-id ID] [--delete]   (secret on stdin)",
		Short: "Save the Cognito app client's secret in the OS keychain (read from stdin, never echoed)",
		Long: "Save the secret of a Cognito app client that has one in the OS keychain, under the app\n" +
			"client id (default: the one in the app's settings, $" + EnvClientID + "). The secret is asked for\n" +
			"on the terminal with echo off, or read from the first line of standard input.\n" +
			"With --delete, the saved secret is removed instead.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := settings.Load()
			if err != nil {
				return fmt.Errorf("reading the settings: %w", err)
			}
			id := s.AWS.AppClientID
			pick(clientID, EnvClientID, &id)
			if id == "" {
				return cli.UsageError(errors.New("no app client id is configured: pass --client-id, or set it in the app's Settings"))
			}
			store, keychain := d.store()
			if !keychain {
				return errors.New("no OS keychain is available to keep the secret: set $" + EnvClientSecret + " for each command instead")
			}
			key := auth.ClientSecretKey(id)
			if remove {
				if err := store.Delete(key); err != nil && !errors.Is(err, secrets.ErrNotFound) {
					return fmt.Errorf("removing the app client secret from the keychain: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "The secret of app client %s is no longer kept in the keychain.\n", id)
				return nil
			}
			secret, err := cli.ReadSecret(cmd, "App client secret")
			if err != nil {
				return err
			}
			if secret == "" {
				return cli.UsageError(errors.New("the secret is empty: give it on standard input or at the prompt (use --delete to remove a saved one)"))
			}
			if err := store.Set(key, secret); err != nil {
				return fmt.Errorf("saving the app client secret in the keychain: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The secret of app client %s is saved in the OS keychain.\n", id)
			return nil
		},
	}
	c.Flags().StringVar(&clientID, "client-id", "", "Cognito app client id (default: settings, $"+EnvClientID+")")
	c.Flags().BoolVar(&remove, "delete", false, "remove the saved secret")
	return c
}
