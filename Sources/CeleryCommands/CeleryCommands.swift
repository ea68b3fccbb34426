import Celery
/// Placeholder.
public enum CeleryCommandsPlaceholder {}
