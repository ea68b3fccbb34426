public enum CeleryPlaceholder {}
